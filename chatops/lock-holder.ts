/** How a lock names the request it is held for, so a replica or a recoverer recognises it. */
export function lockRequestId(repository: string, pr: number, request: number): string {
  return `${repository.toLowerCase()}#${pr}/request-${request}`;
}

/** Locks taken by hand with `/lock` are named so, and only those may be lifted with `/unlock`. */
export function handLockId(login: string): string {
  return `hand:${login}`;
}

export const isHandLock = (request: string | undefined): boolean => request?.startsWith('hand:') ?? false;
