import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { classArchive, classArchiveFlags, keepClassArchive } from '../../../src/broker/classArchive.js';
import { tempDir } from '../../helpers/processes.js';

describe("the broker JVM's class archive", () => {
  const savedPath = process.env.PATH;
  let libDir: string;
  let javaDir: string;
  beforeEach(() => {
    const root = tempDir('stampede-class-archive-');
    libDir = join(root, 'lib');
    javaDir = join(root, 'bin');
    mkdirSync(libDir);
    mkdirSync(javaDir);
    writeFileSync(join(libDir, 'kafka_2.13-4.1.0.jar'), '');
    writeFileSync(join(javaDir, 'java'), '');
    process.env.PATH = javaDir;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('is named for the JVM and the jars: an upgrade of either makes another', () => {
    const before = classArchive(libDir, '/data/broker-1')!;
    assert.equal(classArchive(libDir, '/data/broker-2')!.final, before.final, 'one archive for every broker');
    assert.notEqual(classArchive(libDir, '/data/broker-2')!.draft, before.draft, 'a draft of its own for each broker');
    writeFileSync(join(libDir, 'kafka_2.13-4.2.0.jar'), '');
    assert.notEqual(classArchive(libDir, '/data/broker-1')!.final, before.final);
  });

  it('has no archive without a java on the PATH', () => {
    process.env.PATH = libDir;
    assert.equal(classArchive(libDir, '/data'), undefined);
    assert.deepEqual(classArchiveFlags(undefined, { writeDraft: true }), []);
  });

  it('maps the archive once there is one; until then a broker writes a draft, a tool nothing', () => {
    const archive = classArchive(libDir, '/data')!;
    assert.deepEqual(classArchiveFlags(archive, { writeDraft: true }), [`-XX:ArchiveClassesAtExit=${archive.draft}`]);
    assert.deepEqual(classArchiveFlags(archive, { writeDraft: false }), []);
    writeFileSync(archive.final, 'classes');
    assert.deepEqual(classArchiveFlags(archive, { writeDraft: true }), [`-XX:SharedArchiveFile=${archive.final}`]);
    assert.deepEqual(classArchiveFlags(archive, { writeDraft: false }), [`-XX:SharedArchiveFile=${archive.final}`]);
  });

  it('keeps a draft as the archive, and drops a second draft rather than replace the archive', () => {
    const first = classArchive(libDir, '/data/broker-1')!;
    const second = classArchive(libDir, '/data/broker-2')!;
    keepClassArchive(first);
    assert.equal(existsSync(first.final), false, 'no draft, nothing kept');
    writeFileSync(first.draft, 'first');
    writeFileSync(second.draft, 'second');
    keepClassArchive(first);
    keepClassArchive(second);
    assert.equal(readFileSync(first.final, 'utf8'), 'first');
    assert.equal(existsSync(first.draft), false);
    assert.equal(existsSync(second.draft), false);
  });
});
