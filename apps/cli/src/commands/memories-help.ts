// Kept apart from memories.ts so `--help` does not load the model client.

/** Examples for `memories --help`. */
export const MEMORIES_HELP = `
Examples:
  $ OPENAI_API_KEY=… agent-state memories run                  # every eligible thread, then consolidate
  $ agent-state memories run --base-url http://127.0.0.1:8080/v1 --model my-model --max 20
  $ agent-state memories status --json
  $ agent-state memories show

Phase 1 reads threads idle for 12 hours and updated within 30 days (interactive sources), one model
request each; phase 2 runs one consolidation agent over <home>/memories when there is new input.
A second run with nothing new makes no model request. Models and endpoint: --model/--base-url, or
AGENT_STATE_EXTRACT_MODEL, AGENT_STATE_CONSOLIDATION_MODEL, OPENAI_BASE_URL, or [memories] in
<home>/config.toml; the API key comes from $OPENAI_API_KEY (any value for a local server).
`;
