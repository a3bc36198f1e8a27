/**
 * The spec's five topics, names unchanged, plus our extensions: `control` for commands a spec-only
 * driver must never mistake for a trigger (cancel), and `data_requests` / `data_rows` for test data
 * (drivers ask for rows, the orchestrator answers with them: src/protocol/data.ts).
 */
export const TOPICS = {
  register: 'register',
  testConfig: 'test_config',
  trigger: 'trigger',
  metrics: 'metrics',
  heartbeat: 'heartbeat',
  control: 'control',
  dataRequests: 'data_requests',
  dataRows: 'data_rows',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

export const ALL_TOPICS: readonly TopicName[] = Object.values(TOPICS);
