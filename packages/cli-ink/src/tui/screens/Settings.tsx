import React, { useLayoutEffect, useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import { Busy, Confirm, TextField, moveCursor, toastFromError, useKeys } from '../components.js';
import { isCancelled } from '@keyport/core';
import type { ScreenProps } from '../App.js';
import { AUTO_STATUS, autoStatusOn } from '../../actions.js';

const SECTIONS = ['Key servers', 'Network', 'Modules'] as const;
type Section = (typeof SECTIONS)[number];

/** Key servers (add, edit, delete, test, default), network options, and modules toggled live. */
export function SettingsScreen({ kp, back, notify, setCapturing }: ScreenProps) {
  const [section, setSection] = useState<Section>('Key servers');
  const [cursor, setCursor] = useState(0);
  const [editing, setEditing] = useState<{
    mode: 'add' | 'edit';
    value: string;
    original?: string;
  } | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);
  const [, refresh] = useState(0);
  const rerender = () => refresh((n) => n + 1);
  // In the commit: the footer and q must know before the next key.
  useLayoutEffect(() => setCapturing(editing !== null), [editing, setCapturing]);

  const servers = kp.keyservers.list();
  const modules = kp.modules.list();
  const rows =
    section === 'Key servers' ? servers.length : section === 'Network' ? 1 : modules.length;

  const attempt = async (what: () => Promise<unknown>, done?: string) => {
    try {
      await what();
      if (done) notify({ kind: 'info', text: done });
    } catch (e) {
      notify(toastFromError(e));
    }
    rerender();
  };

  /** Tests the servers one after the other; Esc stops the one running and the rest. */
  const test = async (urls: string[]) => {
    const controller = new AbortController();
    running.current = controller;
    for (const url of urls) {
      if (controller.signal.aborted) break;
      setTesting(url);
      try {
        const r = await kp.keyservers.test(url, controller.signal);
        if (controller.signal.aborted) {
          notify({ kind: 'warning', text: `test of ${url} stopped` });
          break;
        }
        notify({
          kind: r.reachable && r.speaksProtocol ? 'info' : 'warning',
          text: `${url}: ${r.detail}${r.latencyMs !== null ? ` (${r.latencyMs} ms)` : ''}`,
        });
      } catch (e) {
        if (isCancelled(e) || controller.signal.aborted) {
          notify({ kind: 'warning', text: `test of ${url} stopped` });
          break;
        }
        notify(toastFromError(e));
      }
    }
    setTesting(null);
    rerender();
  };

  useKeys(
    (input, key) => {
      // While a test runs, Esc stops it; the rest of the screen stays usable.
      if (key.escape) return testing !== null ? running.current?.abort() : back();
      const s = SECTIONS.indexOf(section);
      if (key.rightArrow || key.tab)
        return (setSection(SECTIONS[(s + 1) % SECTIONS.length]!), setCursor(0));
      if (key.leftArrow)
        return (setSection(SECTIONS[(s + SECTIONS.length - 1) % SECTIONS.length]!), setCursor(0));
      if (moveCursor(input, key, rows, rows, setCursor)) return;
      if (section === 'Key servers') {
        const current = servers[cursor];
        if (input === 'a') setEditing({ mode: 'add', value: '' });
        else if (input === 'e' && current)
          setEditing({ mode: 'edit', value: current.url, original: current.url });
        else if (input === 'd' && current) setDeleting(current.url);
        else if (input === 't' && current && testing === null) void test([current.url]);
        else if (input === 'T' && testing === null) void test(servers.map((x) => x.url));
        else if ((key.return || input === '*') && current)
          void attempt(
            () => kp.keyservers.setDefault(current.url),
            `default server: ${current.url}`,
          );
      } else if (section === 'Network') {
        if (key.return || input === ' ') {
          const on = autoStatusOn(kp);
          void attempt(
            () => kp.settings.set(AUTO_STATUS, !on),
            `automatic publish status ${on ? 'off' : 'on'}`,
          );
        }
      } else if ((key.return || input === ' ') && modules[cursor]) {
        const m = modules[cursor]!;
        void attempt(
          () => kp.modules.setEnabled(m.id, m.state !== 'enabled'),
          `${m.id} ${m.state !== 'enabled' ? 'enabled' : 'disabled'}`,
        );
      }
    },
    { isActive: editing === null && deleting === null },
  );

  if (deleting) {
    return (
      <Confirm
        message={`Remove ${deleting} from the server list?`}
        onNo={() => setDeleting(null)}
        onYes={() => {
          const url = deleting;
          setDeleting(null);
          void attempt(() => kp.keyservers.remove(url), `removed ${url}`);
        }}
      />
    );
  }

  return (
    <Box flexDirection="column">
      <Box>
        {SECTIONS.map((name) => (
          <Text key={name} inverse={name === section} bold={name === section}>
            {` ${name} `}
          </Text>
        ))}
      </Box>
      {section === 'Key servers' ? (
        <Box flexDirection="column">
          <Text dimColor>{'    default  https  last test                  server'}</Text>
          {servers.map((sv, i) => (
            <Text key={sv.url} inverse={i === cursor} wrap="truncate-end">
              {i === cursor ? '›' : ' '} {sv.isDefault ? '  *    ' : '       '}{' '}
              {sv.https ? 'yes  ' : 'no   '}{' '}
              {(testing === sv.url
                ? 'testing…'
                : sv.lastTest
                  ? `${sv.lastTest.ok ? 'ok' : 'failed'}${sv.lastTest.latencyMs !== null ? ` ${sv.lastTest.latencyMs} ms` : ''}`
                  : 'never tested'
              ).padEnd(26)}{' '}
              {sv.url}
              {sv.lastTest && !sv.lastTest.ok && testing !== sv.url ? ` (${sv.lastTest.detail})` : ''}
            </Text>
          ))}
          {testing ? <Busy label={`testing ${testing}`} /> : null}
          {editing ? (
            <TextField
              label={editing.mode === 'add' ? 'New server:' : 'Server:'}
              value={editing.value}
              active
              onChange={(value) => setEditing({ ...editing, value })}
              onCancel={() => setEditing(null)}
              onSubmit={(value) => {
                const e = editing;
                void (async () => {
                  try {
                    const r =
                      e.mode === 'add'
                        ? await kp.keyservers.add(value)
                        : await kp.keyservers.edit(e.original!, value);
                    setEditing(null);
                    notify(
                      r.warnings.length
                        ? { kind: 'warning', text: r.warnings.join('; ') }
                        : {
                            kind: 'info',
                            text: `${e.mode === 'add' ? 'added' : 'saved'} ${r.url}`,
                          },
                    );
                  } catch (err) {
                    // The field keeps what was typed, so it can be corrected.
                    notify(toastFromError(err));
                  }
                  rerender();
                })();
              }}
            />
          ) : null}
        </Box>
      ) : section === 'Network' ? (
        <Box flexDirection="column">
          <Text inverse>
            › Automatic publish status:{' '}
            {autoStatusOn(kp) ? 'on' : 'off'}
            <Text dimColor> (fetch it whenever key details are shown; needs KeyServerSync)</Text>
          </Text>
          <Text dimColor>
            {'  '}Requests per host: {kp.settings.get<number>('network.perHostConcurrency')} ·
            timeout {kp.settings.get<number>('network.timeoutMs')} ms (keyport config set …)
          </Text>
        </Box>
      ) : (
        <Box flexDirection="column">
          {modules.map((m, i) => (
            <Text key={m.id} inverse={i === cursor} wrap="truncate-end">
              {i === cursor ? '›' : ' '}{' '}
              {m.state === 'enabled' ? '[on] ' : m.state === 'failed' ? '[!!] ' : '[off]'}{' '}
              {m.id.padEnd(15)} {m.version.padEnd(7)} {m.description}
              {typeof m.origin === 'object' ? ` (from ${m.origin.specifier})` : ''}
              {m.error ? ` · ${m.error.code} ${m.error.message}` : ''}
            </Text>
          ))}
        </Box>
      )}
    </Box>
  );
}
