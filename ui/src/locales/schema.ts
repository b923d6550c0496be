// The form's words for another language: each grant kind's name and summary, each setting's
// label and help, each choice. English is the engine's schema itself (contracts.json); a test
// holds every other language to all of it. A field is found by `grant.key`, else by `key`.
export type SchemaWords = {
  grants: Record<string, { label: string; summary: string }>;
  fields: Record<string, { label: string; help?: string }>;
  /** By `key=value`. */
  choices: Record<string, string>;
};
