/**
 * snake_case config keys as the camelCase option names the code takes (`first_frame_motion` →
 * `firstFrameMotion`), for values and for types.
 */

/** `first_frame_motion` → `firstFrameMotion`, as a type. */
export type CamelKey<K extends string> = K extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelKey<Tail>>}` : K;

/** An object with its keys camelCased, nested objects too (tuples and arrays keep their shape). */
export type CamelOptions<T> = T extends readonly unknown[]
  ? { -readonly [I in keyof T]: CamelOptions<T[I]> }
  : T extends object
    ? { [K in keyof T as K extends string ? CamelKey<K> : K]: CamelOptions<T[K]> }
    : T;

/** `first_frame_motion` → `firstFrameMotion`. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
