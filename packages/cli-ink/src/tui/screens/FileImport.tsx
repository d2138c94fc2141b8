import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import React, { useLayoutEffect, useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import { readFileBounded, type ImportReport } from '@keyport/core';
import { Busy, TextField, toastFromError, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';
import { formatImportCounts, formatImportLine } from '../../output.js';

const expandHome = (p: string) => p.replace(/^~(?=$|\/)/, os.homedir());

/**
 * Completes `typed` to the longest path all matching entries share (as a shell's Tab does),
 * and lists the matches. Folders end in `/`.
 */
export async function completePath(typed: string, cwd = process.cwd()): Promise<{ completed: string; matches: string[] }> {
  const full = path.resolve(cwd, expandHome(typed || './'));
  const dirPart = typed.endsWith('/') || typed === '' ? full : path.dirname(full);
  const prefix = typed.endsWith('/') || typed === '' ? '' : path.basename(full);
  let entries: { name: string; dir: boolean }[];
  try {
    entries = (await readdir(dirPart, { withFileTypes: true })).map((e) => ({ name: e.name, dir: e.isDirectory() }));
  } catch {
    return { completed: typed, matches: [] };
  }
  const matches = entries
    .filter((e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => (e.dir ? `${e.name}/` : e.name))
    .sort();
  if (matches.length === 0) return { completed: typed, matches };
  let common = matches[0]!;
  for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
  const typedDir = typed.endsWith('/') || typed === '' ? typed : typed.slice(0, typed.length - prefix.length);
  return { completed: typedDir + common, matches };
}

/** Imports a key file (armored or binary) with Tab completion of its path. */
export function FileImportScreen({ kp, store, height, back, notify, setCapturing }: ScreenProps) {
  const [file, setFile] = useState('');
  const [matches, setMatches] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const running = useRef<AbortController | null>(null);
  // In the commit: the footer and q must know before the next key.
  useLayoutEffect(() => setCapturing(!report && !busy), [report, busy, setCapturing]);
  useEffect(() => () => running.current?.abort(), []);

  const importFile = async (typed: string) => {
    if (!typed.trim()) return;
    const target = path.resolve(expandHome(typed.trim()));
    const controller = new AbortController();
    running.current = controller;
    setBusy(true);
    try {
      const maxBytes = kp.settings.get<number>('import.maxBytes');
      const bytes = await readFileBounded(target, maxBytes);
      const r = await store.importer.import(bytes, { origin: { kind: 'file', name: target }, maxBytes, signal: controller.signal });
      if (controller.signal.aborted) return;
      setReport(r);
      notify({ kind: r.summary.rejected > 0 ? 'warning' : 'info', text: `imported from ${target}: ${formatImportCounts(r.summary)}` });
    } catch (e) {
      if (!controller.signal.aborted) notify(toastFromError(e));
    } finally {
      setBusy(false);
    }
  };

  useKeys(
    (_input, key) => {
      if (key.escape) {
        if (busy) running.current?.abort();
        else if (report) setReport(null);
        else back();
      } else if (report && key.return) setReport(null);
    },
    { isActive: busy || report !== null },
  );
  // Tab completes; everything else is the field's.
  useKeys(
    (_input, key) => {
      if (!key.tab) return;
      void completePath(file).then((c) => {
        setFile(c.completed);
        setMatches(c.matches.length > 1 ? c.matches : []);
      });
    },
    { isActive: !busy && report === null },
  );

  return (
    <Box flexDirection="column">
      <TextField
        label="File:"
        value={file}
        onChange={(v) => {
          setFile(v);
          setMatches([]);
        }}
        onSubmit={(v) => void importFile(v)}
        onCancel={back}
        active={!busy && report === null}
        placeholder="path of a key file (.asc, .gpg, .pgp); Tab completes"
      />
      {busy ? <Busy label="importing…" /> : null}
      {report ? (
        <Box flexDirection="column">
          <Text bold>Import report (Enter or Esc to go on)</Text>
          {report.results.slice(0, Math.max(1, height - 3)).map((r, i) => (
            <Text key={i} wrap="truncate-end">
              {formatImportLine(r)}
            </Text>
          ))}
        </Box>
      ) : (
        matches.slice(0, Math.max(1, height - 2)).map((m) => (
          <Text key={m} dimColor wrap="truncate-end">
            {'  '}
            {m}
          </Text>
        ))
      )}
    </Box>
  );
}
