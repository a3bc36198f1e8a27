import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Class data sharing for the broker's JVM: with an archive of the classes a broker loads, a start maps
 * them instead of reading and verifying each from its jar (measured: 3.5 → 2.0 CPU seconds and 2.7 →
 * 1.7 s until the broker answers; decisions.md). An archive fits one JVM build and one classpath, so its
 * name carries both, and a Java or Kafka upgrade makes a new one. The first broker started without one
 * writes a draft when it exits cleanly, and `kafka stop`, having seen that exit, keeps it; a broker that
 * was killed writes nothing, and the next start tries again.
 */
export type ClassArchive = { final: string; draft: string };

/** Where the archive for this JVM and these jars lives, and the draft a broker in `brokerDir` writes. */
export function classArchive(libDir: string, brokerDir: string): ClassArchive | undefined {
  const java = javaOnPath();
  if (java === undefined) return undefined;
  const jars = readdirSync(libDir).filter((name) => name.endsWith('.jar')).sort();
  const identity = shortHash(`${java}\n${statSync(java).mtimeMs}\n${jars.join('\n')}`);
  const final = join(libDir, `kafka-classes-${identity}.jsa`);
  return { final, draft: `${final}.${shortHash(brokerDir)}.draft` };
}

/** The JVM flags: map the archive when there is one, otherwise (for a broker, not a short tool) write a draft at exit. */
export function classArchiveFlags(archive: ClassArchive | undefined, { writeDraft }: { writeDraft: boolean }): string[] {
  if (archive === undefined) return [];
  if (existsSync(archive.final)) return [`-XX:SharedArchiveFile=${archive.final}`];
  return writeDraft ? [`-XX:ArchiveClassesAtExit=${archive.draft}`] : [];
}

/** After a clean exit: the draft becomes the archive (a rename, so a JVM never maps half a file), unless one is there already. */
export function keepClassArchive(archive: ClassArchive | undefined): void {
  if (archive === undefined || !existsSync(archive.draft)) return;
  if (existsSync(archive.final)) rmSync(archive.draft, { force: true });
  else renameSync(archive.draft, archive.final);
}

/** The `java` a spawn finds, as a real path: the one whose build the archive must match. */
function javaOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'java');
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
