/** Per error kind, its first distinct messages; limits that keep every report small. No zod here: load workers read it. */
export const ERROR_SAMPLE_LIMITS = { kinds: 50, perKind: 5, length: 300 } as const;
