// Kept apart from demo.ts so `--help` loads nothing of the demo.

/** Examples for `demo --help`. */
export const DEMO_HELP = `
Examples:
  $ agent-state demo                                  build a sample home in a temporary directory
  $ agent-state demo --home ./sample-home             … or in a new (or empty) directory
  $ OPENAI_API_KEY=… agent-state demo --base-url http://127.0.0.1:8080/v1   with the memories

The sample home holds 10 sessions written by Codex 0.100.0 (legacy rollouts) and 0.169.0
(paginated rollouts), two of them archived and three named. The demo indexes them, lists them,
reconciles the store with them, shows the logs it wrote and the sandbox policy of a thread, and
runs the memories pipeline when a model endpoint is configured. It needs no network otherwise.
`;
