/** Output formats of `sandbox show`. */
export const SANDBOX_SHOW_FORMATS = [
  'text',
  'json',
  'app-server-json',
  'seatbelt',
  'bwrap',
] as const;
