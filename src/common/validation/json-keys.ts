/**
 * The first key that appears twice in one object of a JSON text, or null. `JSON.parse` keeps the
 * last of duplicate keys while other readers keep the first, so an event with two `action` keys
 * reads differently to each: a verifier refuses such text instead. Keys are compared decoded
 * (`"a"` and `"\u0061"` are the same key). The text is expected to be valid JSON; on anything
 * else the answer is merely null.
 */
export function findDuplicateKey(text: string): string | null {
  /** One frame per open object (its keys, and whether a key comes next) or array (null). */
  const stack: ({ keys: Set<string>; expectKey: boolean } | null)[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
      const top = stack[stack.length - 1];
      if (top && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          return null;
        }
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
    } else if (c === 123 /* { */) {
      stack.push({ keys: new Set(), expectKey: true });
    } else if (c === 91 /* [ */) {
      stack.push(null);
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    }
  }
  return null;
}
