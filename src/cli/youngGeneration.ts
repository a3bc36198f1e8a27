import { setFlagsFromString } from 'node:v8';

/** V8's own default: how many times larger the young generation gets each time it grows. */
const V8_SEMI_SPACE_GROWTH_FACTOR = 2;

/**
 * Runs `load` (a command's module graph) with V8's young generation held at its initial size, then lets
 * it grow again. Loading modules leaves many survivors in the young generation, so V8 grows it to 32 MB,
 * which is empty once loading is done and which V8 gives back only 16–20 s later: an idle driver sat at
 * 116 MB RSS for that long, 90 MB when held (decisions.md, "Driver memory"). V8 reads the growth factor
 * each time it would grow, so a busy process grows as before once it is restored.
 */
export async function loadWithSmallYoungGeneration<T>(load: () => Promise<T>): Promise<T> {
  setFlagsFromString('--semi-space-growth-factor=1');
  try {
    return await load();
  } finally {
    setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
  }
}
