/** Unix seconds as RFC 3339 UTC without fractions, the form every output uses. */
export function isoSeconds(seconds: number): string {
  // Every record carries several times: the date part is remembered per day, the time of day is
  // written from a table, instead of a Date and toISOString for each (5× the cost).
  if (!Number.isInteger(seconds) || seconds < 0 || seconds >= lastWholeSecond) return generalIso(seconds);
  const day = Math.floor(seconds / secondsPerDay);
  let date = dayPrefixes.get(day);
  if (date === undefined) {
    if (dayPrefixes.size >= maxDaysRemembered) dayPrefixes.clear();
    date = new Date(day * secondsPerDay * 1000).toISOString().slice(0, 11);
    dayPrefixes.set(day, date);
  }
  let rest = seconds - day * secondsPerDay;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  return `${date}${twoDigits[hours]}:${twoDigits[minutes]}:${twoDigits[rest - minutes * 60]}Z`;
}

const secondsPerDay = 86_400;
/** 9999-12-31T23:59:59Z + 1: later times, fractions and negatives take the general path. */
const lastWholeSecond = 253_402_300_800;
const maxDaysRemembered = 4096;
const dayPrefixes = new Map<number, string>();
const twoDigits = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

function generalIso(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  // Whole seconds: drop the ".000" toISOString always writes (dates before year 0 keep their form).
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
