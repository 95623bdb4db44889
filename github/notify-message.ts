/**
 * The chat message for a promotion, in the shape of Slack's incoming webhooks (which Mattermost,
 * Rocket.Chat and others accept too): `text` for notifications and clients without blocks, and
 * `blocks` with a header, the result table as fields and links to the run, the pull request and
 * the deployment.
 *
 * Names come from API7 and configs: they go into `plain_text` objects, which Slack never reads
 * as markup, and wherever Slack does read markup (`text`, links) `&`, `<`, `>` are escaped so a
 * name cannot become a link or a `<!channel>` mention.
 */
import { ACTION_LABEL, type ServiceResult, type SyncResult } from '../engine/index.js';

export interface NotifyLinks {
  /** The workflow run, or whatever ran the promotion. */
  run?: string;
  pullRequest?: string;
  deployment?: string;
}

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export type Block =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; fields: PlainText[] }
  | { type: 'context'; elements: (PlainText | MrkdwnText)[] };

export interface ChatMessage {
  text: string;
  blocks: Block[];
}

/** Slack's limits: header text, a field, fields per section, blocks per message. */
const HEADER_MAX = 150;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;
const MAX_BLOCKS = 50;
/** Header, gateway groups, links and the "more" line leave this many blocks for the table. */
const TABLE_BLOCKS = MAX_BLOCKS - 4;

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** One line of someone else's text: control characters (newlines too) become spaces. */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, ' ');
}

/** Escapes what Slack's markup reads as control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function plain(text: string, max = FIELD_MAX): PlainText {
  return { type: 'plain_text', text: clip(text, max) || ' ', emoji: true };
}

function outcome(result: SyncResult): string {
  const actions = result.services.map((s) => s.action);
  if (actions.some((a) => a === 'failed')) return '❌ failed';
  if (actions.some((a) => a === 'rolled-back')) return '↩️ rolled back';
  if (actions.some((a) => a === 'refused')) return '⛔ refused';
  if (actions.some((a) => a === 'synced')) return '✅ synced';
  return '➖ nothing to do';
}

/** "0.9.0 → 1.0.0", or the one version when it did not change. */
const versions = (s: ServiceResult): string =>
  s.previousVersion && s.previousVersion !== s.version
    ? `${s.previousVersion} → ${s.version ?? '?'}`
    : (s.version ?? '—');

/** Up to this many services are named one by one in `text`; more are counted by action. */
const NAMED_IN_TEXT = 5;

/**
 * What a notification shows before anything is opened: "httpbin API 0.9.0 → 1.0.0" per service
 * (with its action when it is not synced), or counts by action when there are many.
 */
function servicesSummary(services: ServiceResult[]): string {
  if (services.length > NAMED_IN_TEXT) {
    const counts = new Map<string, number>();
    for (const s of services) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
    const parts = [...counts].map(([action, n]) => `${n} ${action}`);
    return `${services.length} services (${parts.join(', ')})`;
  }
  return services
    .map((s) => `${oneLine(s.name)} ${oneLine(versions(s))}${s.action === 'synced' ? '' : ` (${s.action})`}`)
    .join(', ');
}

function serviceLine(s: ServiceResult): string {
  const version = versions(s);
  const why = s.reason ? `\n${s.reason}${s.message ? `: ${oneLine(s.message)}` : ''}` : '';
  return `${ACTION_LABEL[s.action]} ${oneLine(version)}${why}`;
}

/** A link in Slack's `<url|label>` form; only http(s) URLs, with the characters that end it escaped. */
function link(url: string | undefined, label: string): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  const safe = url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/&/g, '&amp;');
  return `<${safe}|${label}>`;
}

/** The message for one promotion's result. */
export function chatMessage(result: SyncResult, links: NotifyLinks = {}): ChatMessage {
  // A rollback stays in one environment (its result has the same source and target).
  const route = oneLine(
    result.from.environment === result.to.environment
      ? `rollback in ${result.to.environment}`
      : `${result.from.environment} → ${result.to.environment}`,
  );
  const headline = `api7-sync ${route}: ${outcome(result)}`;
  const blocks: Block[] = [{ type: 'header', text: plain(headline, HEADER_MAX) }];
  blocks.push({
    type: 'context',
    elements: [
      plain(
        oneLine(
          `Gateway groups ${result.from.gatewayGroup ?? '?'} → ${result.to.gatewayGroup ?? '?'} · ${result.durationMs} ms`,
        ),
      ),
    ],
  });

  const fields = result.services.flatMap((s) => [plain(oneLine(s.name)), plain(serviceLine(s))]);
  const sections: Block[] = [];
  for (let i = 0; i < fields.length && sections.length < TABLE_BLOCKS; i += FIELDS_PER_SECTION)
    sections.push({ type: 'section', fields: fields.slice(i, i + FIELDS_PER_SECTION) });
  blocks.push(...sections);
  const shown = (sections.length * FIELDS_PER_SECTION) / 2;
  if (result.services.length > shown)
    blocks.push({
      type: 'context',
      elements: [plain(`… and ${result.services.length - shown} more services: see the run`)],
    });

  const linkLine = [
    link(links.run, 'Workflow run'),
    link(links.pullRequest, 'Pull request'),
    link(links.deployment, 'Deployment'),
  ].filter((l): l is string => l !== undefined);
  if (linkLine.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: linkLine.join(' · ') }] });

  return { text: escapeSlack(clip(`${headline}: ${servicesSummary(result.services)}`, 3000)), blocks };
}
