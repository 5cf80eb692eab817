// mime-types 3 comes with Express, without types (there is no @types/mime-types here): only what we call.
declare module 'mime-types' {
  /** The type mime-db registers for a path or a bare extension ("a/b.json", ".json", "json"), else false. */
  export function lookup(pathOrExtension: string): string | false;
}
