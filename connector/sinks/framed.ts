/**
 * Each serialized record between `head` and `tail`, in one buffer: how every line-based output
 * (Airbyte and Singer messages, JSON Lines files) writes records without parsing them again.
 */
export function framed(records: readonly Buffer[], head: string, tail: string): Buffer {
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(tail, 'utf8');
  const parts: Buffer[] = new Array(records.length * 3);
  let length = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    parts[3 * i] = headBytes;
    parts[3 * i + 1] = record;
    parts[3 * i + 2] = tailBytes;
    length += record.length;
  }
  return Buffer.concat(parts, length + records.length * (headBytes.length + tailBytes.length));
}
