// Echoing user input in a one-line message.

/** At most `max` characters of `s`, control characters shown as \xNN, '...' when cut. */
export function clip(s: string, max = 40): string {
  const shown = s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length <= max ? shown : `${shown.slice(0, max)}...`;
}
