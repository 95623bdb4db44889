/** Log lines that stay short at hundreds of services: a few names, then how many more. */

/** `"a", "b", "c" and 47 more`: at most `max` items named. */
export function someOf(items: string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
