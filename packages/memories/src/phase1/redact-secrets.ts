/**
 * What a redacted secret is replaced with.
 *
 * @example
 * ```ts
 * redactSecrets('OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx').includes(REDACTED); // true
 * ```
 */
export const REDACTED = '[REDACTED]';

type Replacer = string | ((match: string, ...groups: string[]) => string);

/** A regular-expression rule, or a procedure for what a regular expression cannot do in linear time. */
type Rule =
  | { name: string; pattern: RegExp; replace: Replacer }
  | { name: string; apply: (text: string) => string };

/** Characters that may continue a token; a match must not be followed by one. */
const TOKEN_END = '(?![A-Za-z0-9_-])';

/** A match must start a token: not be preceded by a token character. */
const TOKEN_START = '(?<![A-Za-z0-9_-])';

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
const PEM_END = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
/** The base64 body of a key cut before its footer (newlines may be escaped, as in JSON). */
const PEM_BODY = /(?:\s|\\[nr])*[A-Za-z0-9+/=]{16,}[A-Za-z0-9+/=\s\\]*/y;

/**
 * Replaces the body of every PEM private key (RSA, EC, OPENSSH, ENCRYPTED, …) with `[REDACTED]`,
 * keeping the header and footer lines. A key cut before its footer (a truncated output) loses the
 * base64 that follows its header. Linear: each footer is searched for once.
 */
function redactPrivateKeys(text: string): string {
  let result = '';
  let copied = 0;
  let noFooterAfter = Number.POSITIVE_INFINITY;
  for (const begin of text.matchAll(PEM_BEGIN)) {
    if (begin.index < copied) continue; // inside a key already redacted
    const headerEnd = begin.index + begin[0].length;
    result += text.slice(copied, headerEnd);
    let footer: RegExpExecArray | null = null;
    if (headerEnd < noFooterAfter) {
      PEM_END.lastIndex = headerEnd;
      footer = PEM_END.exec(text);
      if (!footer) noFooterAfter = headerEnd;
    }
    if (footer) {
      result += `\n${REDACTED}\n${footer[0]}`;
      copied = footer.index + footer[0].length;
      continue;
    }
    PEM_BODY.lastIndex = headerEnd;
    const body = PEM_BODY.exec(text);
    if (body) result += `\n${REDACTED}`;
    copied = headerEnd + (body?.[0].length ?? 0);
  }
  return result + text.slice(copied);
}

/**
 * The rules, in order: specific credential formats first, then the generic `name=value` rules,
 * which leave values that are already `[REDACTED]` (or look like placeholders) alone. Every
 * pattern runs in linear time (tested on adversarial input).
 */
const RULES: readonly Rule[] = [
  { name: 'pem-private-key', apply: redactPrivateKeys },
  {
    // OpenAI-style keys with a kind prefix (`sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`, `sk-ant-…`).
    name: 'prefixed-sk-key',
    pattern: new RegExp(`\\bsk-(?:proj|svcacct|admin|ant)-[A-Za-z0-9_-]{20,}${TOKEN_END}`, 'g'),
    replace: REDACTED,
  },
  {
    // Classic OpenAI keys: `sk-` and 20+ alphanumerics (no hyphens, so kebab-case words survive).
    name: 'sk-key',
    pattern: new RegExp(`\\bsk-[A-Za-z0-9]{20,}${TOKEN_END}`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'github-token',
    pattern: new RegExp(`\\bgh[pousr]_[A-Za-z0-9]{30,}${TOKEN_END}`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'github-fine-grained-token',
    pattern: new RegExp(`\\bgithub_pat_[A-Za-z0-9_]{22,}${TOKEN_END}`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'aws-access-key-id',
    pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
    replace: REDACTED,
  },
  {
    // A 40-character AWS secret next to a name that says so (`aws_secret_access_key = …`).
    name: 'aws-secret-access-key',
    pattern:
      /\b(aws_?secret[A-Za-z_]*)(["']?[ \t]*[:=][ \t]*["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/gi,
    replace: (_match, name = '', separator = '') => `${name}${separator}${REDACTED}`,
  },
  {
    name: 'slack-token',
    pattern: /\bxox[abeposr]-[A-Za-z0-9-]{10,}/g,
    replace: REDACTED,
  },
  {
    name: 'slack-app-token',
    pattern: /\bxapp-[A-Za-z0-9-]{10,}/g,
    replace: REDACTED,
  },
  {
    name: 'google-api-key',
    pattern: new RegExp(`\\bAIza[0-9A-Za-z_-]{35}${TOKEN_END}`, 'g'),
    replace: REDACTED,
  },
  {
    // JSON Web Tokens: base64url header and payload (both JSON objects, hence `eyJ`), signature.
    name: 'jwt',
    pattern: new RegExp(
      `${TOKEN_START}eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*${TOKEN_END}`,
      'g',
    ),
    replace: REDACTED,
  },
  {
    // `Authorization: <scheme> <credentials>` in headers, curl flags, JSON.
    name: 'authorization-header',
    pattern:
      /(\bAuthorization["']?[ \t]*[:=][ \t]*["']?)(?:(Bearer|Basic|Token|Digest|Bot)[ \t]+)?([^\s"',;]{8,})/gi,
    replace: (match, prefix = '', scheme, credentials = '') => {
      if (credentials === REDACTED) return match;
      return `${prefix}${scheme ? `${scheme} ` : ''}${REDACTED}`;
    },
  },
  {
    name: 'bearer-token',
    pattern: /\b(Bearer)[ \t]+[A-Za-z0-9._~+/-]{16,}=*/gi,
    replace: (_match, scheme = '') => `${scheme} ${REDACTED}`,
  },
  {
    // `scheme://user:password@host` → `scheme://user:[REDACTED]@host`.
    name: 'url-password',
    pattern: /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@]{0,256}:)([^\s@/[\]]{1,256})@/gi,
    replace: (_match, prefix = '') => `${prefix}${REDACTED}@`,
  },
  {
    // `password=…`, `token: …`, `"client_secret": "…"`, `GITHUB_TOKEN=…`, `--api-key=…`. A quoted
    // value runs to its closing quote (a passphrase has spaces), a bare one to whitespace or a
    // quote: commas, semicolons and parentheses belong to the secret.
    name: 'secret-assignment',
    pattern:
      /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*?(?:api[_-]?key|secret(?:[_-]?(?:access[_-]?)?key)?|private[_-]?key|token|passw(?:or)?d|passphrase))(["']?[ \t]*[:=][ \t]*)(?:(["'])([^"'\r\n]{8,})|([^\s"'`]{8,}))/gi,
    replace: (match, name = '', separator = '', quote = '', quoted = '', bare = '') => {
      const value = quote === '' ? bare : quoted;
      if (isPlaceholder(value)) return match;
      // `token: z.string()`: code (a call in an object literal or a type), not a credential.
      if (quote === '' && separator.includes(':') && looksLikeCall(value)) return match;
      return `${name}${separator}${quote}${REDACTED}`;
    },
  },
];

/** `f(…`, `z.string().min(8)`: a call, and no `)` followed by more word characters (`pa(55)ss`). */
const CALL = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\(/;
const TEXT_AFTER_PARENTHESIS = /\)[\w$]/;

/** A bare value that is a function call (code), not a secret that contains parentheses. */
function looksLikeCall(value: string): boolean {
  return CALL.test(value) && !TEXT_AFTER_PARENTHESIS.test(value);
}

/**
 * Values that are references or already handled, not secrets: `$TOKEN`, `${X}`, `<key>`,
 * `[REDACTED]`, `***…`, a PEM header (its body has its own rule).
 */
function isPlaceholder(value: string): boolean {
  return /^(?:\$|<|\{|\[|\*{3}|-----)/.test(value);
}

/**
 * Replaces credentials in `text` with `[REDACTED]`: OpenAI keys (`sk-…`, `sk-proj-…`), GitHub
 * tokens (`ghp_…`, `github_pat_…`), AWS access key ids (`AKIA…`) and 40-character secrets named
 * `aws_secret…`, Slack tokens (`xox…`), Google API keys (`AIza…`), `Authorization:` and
 * `Bearer` credentials, JWTs, PEM private key bodies, passwords in URLs
 * (`scheme://user:[REDACTED]@host`) and `password=` / `token=` / `secret=` / `api_key=`
 * assignments. Idempotent; hex ids, UUIDs and git SHAs are left alone.
 *
 * @example
 * ```ts
 * redactSecrets('curl -H "Authorization: Bearer abcdef0123456789abcdef" https://bob:hunter22@example.com');
 * // 'curl -H "Authorization: Bearer [REDACTED]" https://bob:[REDACTED]@example.com'
 * ```
 */
export function redactSecrets(text: string): string {
  let result = text;
  for (const rule of RULES) {
    if ('apply' in rule) {
      result = rule.apply(result);
      continue;
    }
    result =
      typeof rule.replace === 'string'
        ? result.replace(rule.pattern, rule.replace)
        : result.replace(rule.pattern, rule.replace);
  }
  return result;
}
