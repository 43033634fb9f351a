/**
 * `openrouter:datetime`'s result: the current time as an ISO 8601 timestamp with the offset of
 * `timezone` (an IANA name, checked when the request was parsed), and the zone's name.
 */
export function currentTime(now: Date, timezone: string): { datetime: string; timezone: string } {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "longOffset",
  });
  for (const part of format.formatToParts(now)) parts[part.type] = part.value;
  // "GMT-05:00", or "GMT" for a zone at UTC's offset.
  const offset = (parts.timeZoneName ?? "GMT").replace("GMT", "") || "+00:00";
  const ms = String(now.getUTCMilliseconds()).padStart(3, "0");
  return {
    datetime: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${ms}${offset}`,
    timezone,
  };
}
