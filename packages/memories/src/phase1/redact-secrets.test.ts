import { describe, expect, it } from 'vitest';

import { REDACTED, redactSecrets } from './redact-secrets.js';

// Fake credentials, assembled so that no scanner mistakes this file for a leak.
const join = (...parts: string[]) => parts.join('');
const OPENAI = join('sk-', 'abcdefghijklmnopqrstuvwxyz012345');
const OPENAI_PROJECT = join('sk-proj-', 'Ab3_dE-fGhIjKlMnOpQrStUvWxYz0123456789');
const GITHUB = join('ghp_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8');
const GITHUB_PAT = join('github_pat_', '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz');
const AWS_ID = join('AKIA', 'IOSFODNN7EXAMPLE');
const AWS_SECRET = join('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY');
const SLACK = join('xoxb-', '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx');
const GOOGLE = join('AIza', 'SyA-1234567890abcdefghijklmnopqrstu');
const JWT = join(
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  '.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ',
  '.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
);
const PEM = [
  join('-----BEGIN RSA ', 'PRIVATE KEY-----'),
  'MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumzD8IKzHrp/KQ7fXhq8lN',
  'Q2Hh7T0bl3y9pDqCbTzGvY2l4JxJt8o6m6xkHvBs4Vd0ZqD6lCqQ+1vZ==',
  join('-----END RSA ', 'PRIVATE KEY-----'),
].join('\n');

describe('redactSecrets', () => {
  const cases: Array<[string, string, string]> = [
    ['OpenAI key', `export OPENAI_KEY=${OPENAI} # prod`, `export OPENAI_KEY=${REDACTED} # prod`],
    ['OpenAI project key', `key ${OPENAI_PROJECT} end`, `key ${REDACTED} end`],
    [
      'GitHub token',
      `git clone https://${GITHUB}@github.com/a/b`,
      `git clone https://${REDACTED}@github.com/a/b`,
    ],
    ['GitHub fine-grained token', `gh auth with ${GITHUB_PAT}.`, `gh auth with ${REDACTED}.`],
    ['AWS access key id', `id=${AWS_ID}`, `id=${REDACTED}`],
    [
      'AWS secret by name',
      `aws_secret_access_key = ${AWS_SECRET}`,
      `aws_secret_access_key = ${REDACTED}`,
    ],
    [
      'AWS secret in JSON',
      `{"AWS_SECRET_ACCESS_KEY": "${AWS_SECRET}"}`,
      `{"AWS_SECRET_ACCESS_KEY": "${REDACTED}"}`,
    ],
    ['Slack token', `SLACK=${SLACK}`, `SLACK=${REDACTED}`],
    ['Google API key', `?key=${GOOGLE}&q=1`, `?key=${REDACTED}&q=1`],
    [
      'Authorization header',
      `curl -H "Authorization: Bearer abc.DEF_123-xyz789" url`,
      `curl -H "Authorization: Bearer ${REDACTED}" url`,
    ],
    [
      'Authorization basic',
      'Authorization: Basic dXNlcjpwYXNzd29yZA==',
      `Authorization: Basic ${REDACTED}`,
    ],
    [
      'bare bearer token',
      'sent Bearer abcdefghijklmnop1234 upstream',
      `sent Bearer ${REDACTED} upstream`,
    ],
    ['JWT', `cookie session=${JWT}; path=/`, `cookie session=${REDACTED}; path=/`],
    [
      'PEM private key',
      `key:\n${PEM}\ndone`,
      `key:\n${join('-----BEGIN RSA ', 'PRIVATE KEY-----')}\n${REDACTED}\n${join('-----END RSA ', 'PRIVATE KEY-----')}\ndone`,
    ],
    [
      'password in a URL',
      'DATABASE_URL=postgres://app:s3cr3t-pass@db.internal:5432/app',
      `DATABASE_URL=postgres://app:${REDACTED}@db.internal:5432/app`,
    ],
    ['password assignment', 'password = mysecret123456\nnext', `password = ${REDACTED}\nnext`],
    ['token assignment', 'GITHUB_TOKEN=abcdef1234567890', `GITHUB_TOKEN=${REDACTED}`],
    ['secret in JSON', '{"client_secret": "abcd1234efgh"}', `{"client_secret": "${REDACTED}"}`],
    ['api key flag', '--api-key=qwertyuiop123', `--api-key=${REDACTED}`],
    // A comma or a semicolon does not end a secret; only whitespace or a quote does.
    ['password with a comma', 'password=ab,cdefghijkl next', `password=${REDACTED} next`],
    ['token with a semicolon', 'DB_TOKEN=abc;def;ghi12 rest', `DB_TOKEN=${REDACTED} rest`],
    // Parentheses inside a secret are not code.
    ['password with parentheses', 'password: s3cr3t(pa55)word', `password: ${REDACTED}`],
    [
      'password with parentheses in JSON',
      '{"password": "Tr0ub4dor(3)xyz"}',
      `{"password": "${REDACTED}"}`,
    ],
    [
      'quoted passphrase with spaces',
      "passphrase = 'correct horse battery staple' # from the vault",
      `passphrase = '${REDACTED}' # from the vault`,
    ],
    [
      'quoted call is data, not code',
      '{"api_key": "getKey(abcdef)"}',
      `{"api_key": "${REDACTED}"}`,
    ],
  ];

  it.each(cases)('redacts %s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const [, input] of cases) {
      const once = redactSecrets(input);
      expect(redactSecrets(once)).toBe(once);
    }
    const all = cases.map(([, input]) => input).join('\n');
    expect(redactSecrets(redactSecrets(all))).toBe(redactSecrets(all));
  });

  it('redacts a private key cut before its footer', () => {
    const cut = PEM.split('\n').slice(0, 2).join('\n');
    const once = redactSecrets(`before\n${cut}`);
    expect(once).toBe(`before\n${join('-----BEGIN RSA ', 'PRIVATE KEY-----')}\n${REDACTED}`);
    expect(redactSecrets(once)).toBe(once);
  });

  it('leaves ids, hashes and ordinary text alone', () => {
    const ordinary = [
      'thread 01a1fca2-1d67-7971-8727-3cd36fd8d76f resumed',
      'git_sha: 98b56883bb8e7a06ef85f61dc32a4f93efa18037',
      'commit 98b5688 on main',
      'sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'request id 6f1c0b6a9e2d4c1f8a7b3e5d0c9f2a14',
      'UUID 123E4567-E89B-12D3-A456-426614174000',
      '"total_tokens": 123456789, "max_tokens: 100000000"',
      'token_count: 123456789',
      'run task-runner-with-a-really-long-kebab-name and sk-learn',
      'const schema = { token: z.string(), password: z.string().min(8) };',
      "const schema = { password: z.string().min(8, 'too short'), token: readToken(path) };",
      'const options = { api_key: loadKey(), token: session.token() };',
      'password=$DB_PASSWORD token=${TOKEN} secret=<your-secret-here>',
      'Bearer authentication is used',
      'ssh://git@github.com:22/acme/repo.git and https://example.com:8443/path',
      'the password is short: pw=abc',
    ];
    for (const text of ordinary) expect(redactSecrets(text)).toBe(text);
  });

  it('handles long repetitive input (patterns that backtrack would never finish)', () => {
    const inputs = [
      'sk-'.repeat(100_000),
      'a://b:'.repeat(50_000),
      'eyJabcdefghij-'.repeat(20_000),
      `${join('-----BEGIN RSA ', 'PRIVATE KEY-----')}\n`.repeat(10_000),
      'token_'.repeat(50_000),
    ];
    for (const input of inputs) expect(redactSecrets(input)).toBe(input);
  });
});
