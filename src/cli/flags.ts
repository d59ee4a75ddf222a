/**
 * Library messages name the option a caller can set as "option `field`" (the field of the
 * read options, e.g. `sampleRateHz`); the command line prints the flag that sets it.
 */
const FLAG_OF_FIELD: Record<string, string> = {
  format: '--format',
  sampleRateHz: '--sample-rate',
  well: '--well',
};

/** `message` with every "option `field`" the CLI has a flag for replaced by that flag. */
export function withFlags(message: string): string {
  return message.replace(/option `(\w+)`/g, (text, field: string) => FLAG_OF_FIELD[field] ?? text);
}
