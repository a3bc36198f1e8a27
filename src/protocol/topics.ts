/**
 * The spec's five topics, names unchanged, plus `control`: our extension for commands
 * a spec-only driver must never mistake for a trigger (cancel).
 */
export const TOPICS = {
  register: 'register',
  testConfig: 'test_config',
  trigger: 'trigger',
  metrics: 'metrics',
  heartbeat: 'heartbeat',
  control: 'control',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

export const ALL_TOPICS: readonly TopicName[] = Object.values(TOPICS);
