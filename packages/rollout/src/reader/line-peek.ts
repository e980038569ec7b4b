/** What the first bytes of a line say, without parsing it. */
export interface PeekedLine {
  type: string;
  /** For `event_msg` lines: the payload's `type`. */
  eventType?: string;
  /** For `event_msg/item_completed` lines: the item's `type`, when it comes early in the line. */
  itemType?: string;
  /** For `response_item` lines: the payload's `type` (`message`, `function_call_output`, …). */
  payloadType?: string;
  /** For `response_item` messages: the `role`, when it comes early in the line. */
  role?: string;
}

const PREFIX = Buffer.from('{"timestamp":"');
const TYPE_KEY = Buffer.from(',"type":"');
const ORDINAL_KEY = Buffer.from(',"ordinal":');
const PAYLOAD_TYPE = Buffer.from(',"payload":{"type":"');
const ITEM_TYPE = Buffer.from('"item":{"type":"');
const ROLE_KEY = Buffer.from('"role":"');
const QUOTE = 0x22;

/**
 * Reads a line's type from its first bytes when the line has Codex's own key order
 * (`{"timestamp":…,["ordinal":N,]"type":…,"payload":{"type":…`). `undefined` for any other layout:
 * the caller then parses the line in full, so an unusual but valid line is never misread.
 */
export function peekLine(line: Buffer): PeekedLine | undefined {
  if (line.length < 40 || line.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) {
    return undefined;
  }
  const endOfTimestamp = line.indexOf(QUOTE, PREFIX.length);
  if (endOfTimestamp === -1 || endOfTimestamp > 64) return undefined;
  let at = endOfTimestamp + 1;
  if (startsWithAt(line, ORDINAL_KEY, at)) {
    at += ORDINAL_KEY.length;
    while (at < line.length && line[at]! >= 0x30 && line[at]! <= 0x39) at += 1;
  }
  if (!startsWithAt(line, TYPE_KEY, at)) return undefined;
  const typeStart = at + TYPE_KEY.length;
  const typeEnd = line.indexOf(QUOTE, typeStart);
  if (typeEnd === -1 || typeEnd - typeStart > 40) return undefined;
  const type = line.toString('latin1', typeStart, typeEnd);
  if (type === 'response_item') return { type, ...payloadTypeAt(line, typeEnd + 1) };
  if (type !== 'event_msg') return { type };
  if (!startsWithAt(line, PAYLOAD_TYPE, typeEnd + 1)) return { type };
  const eventStart = typeEnd + 1 + PAYLOAD_TYPE.length;
  const eventEnd = line.indexOf(QUOTE, eventStart);
  if (eventEnd === -1 || eventEnd - eventStart > 80) return { type };
  const eventType = line.toString('latin1', eventStart, eventEnd);
  if (eventType !== 'item_completed') return { type, eventType };
  const item = line.indexOf(ITEM_TYPE, eventEnd);
  if (item === -1 || item > eventEnd + 400) return { type, eventType };
  const itemStart = item + ITEM_TYPE.length;
  const itemEnd = line.indexOf(QUOTE, itemStart);
  if (itemEnd === -1 || itemEnd - itemStart > 80) return { type, eventType };
  return { type, eventType, itemType: line.toString('latin1', itemStart, itemEnd) };
}

/**
 * `{ payloadType }` when `"payload":{"type":"…"` starts at `at`, else nothing; for a message, its
 * `role` too when it comes within the next few keys (legacy lines put it right after the type,
 * 0.169's after the item id).
 */
function payloadTypeAt(line: Buffer, at: number): { payloadType?: string; role?: string } {
  if (!startsWithAt(line, PAYLOAD_TYPE, at)) return {};
  const start = at + PAYLOAD_TYPE.length;
  const end = line.indexOf(QUOTE, start);
  if (end === -1 || end - start > 80) return {};
  const payloadType = line.toString('latin1', start, end);
  if (payloadType !== 'message') return { payloadType };
  const roleKey = line.indexOf(ROLE_KEY, end);
  if (roleKey === -1 || roleKey > end + 160) return { payloadType };
  const roleStart = roleKey + ROLE_KEY.length;
  const roleEnd = line.indexOf(QUOTE, roleStart);
  if (roleEnd === -1 || roleEnd - roleStart > 40) return { payloadType };
  return { payloadType, role: line.toString('latin1', roleStart, roleEnd) };
}

function startsWithAt(line: Buffer, key: Buffer, at: number): boolean {
  return (
    at + key.length <= line.length && line.compare(key, 0, key.length, at, at + key.length) === 0
  );
}
