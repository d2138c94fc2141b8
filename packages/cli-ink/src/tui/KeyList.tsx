import React, { useMemo, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { KeyRecord } from '@keyport/core';
import { isExpired } from '../output.js';

export interface KeyListProps {
  keys: KeyRecord[];
  home: string;
  /** Visible rows; the list renders only these (virtualised). */
  height: number;
  onQuit: () => void;
  now?: number;
}

/**
 * The first screen: the keyring as a scrollable list. Only the rows in view are rendered, so a
 * keyring of thousands of keys draws as fast as one of ten.
 */
export function KeyList({ keys, home, height, onQuit, now = Date.now() }: KeyListProps) {
  const [cursor, setCursor] = useState(0);
  const rows = Math.max(1, height - 4);
  useInput((input, key) => {
    if (input === 'q' || key.escape) onQuit();
    else if (key.downArrow || input === 'j') setCursor((c) => Math.min(keys.length - 1, c + 1));
    else if (key.upArrow || input === 'k') setCursor((c) => Math.max(0, c - 1));
    else if (key.pageDown) setCursor((c) => Math.min(keys.length - 1, c + rows));
    else if (key.pageUp) setCursor((c) => Math.max(0, c - rows));
    else if (input === 'G') setCursor(keys.length - 1);
    else if (input === 'g') setCursor(0);
  });
  const start = Math.min(Math.max(0, cursor - Math.floor(rows / 2)), Math.max(0, keys.length - rows));
  const visible = useMemo(() => keys.slice(start, start + rows), [keys, start, rows]);
  return (
    <Box flexDirection="column">
      <Text bold>
        keyport · {home} · {keys.length} keys
      </Text>
      {keys.length === 0 ? (
        <Text dimColor>The keyring is empty. Import keys with: keyport import --file FILE</Text>
      ) : (
        visible.map((k, i) => {
          const s = k.summary;
          const selected = start + i === cursor;
          const dim = s.revoked || isExpired(s.expires, now);
          const uid = s.userIds.find((u) => u.primary)?.userId ?? s.userIds[0]?.userId ?? '(no user ID)';
          return (
            <Text key={s.fingerprint} inverse={selected} dimColor={dim} strikethrough={s.revoked}>
              {k.hasSecret ? 'sec' : 'pub'} {s.keyId} {s.created.slice(0, 10)} {uid}
              {s.revoked ? ' [revoked]' : dim ? ' [expired]' : ''}
            </Text>
          );
        })
      )}
      <Text dimColor>
        {keys.length ? `${cursor + 1}/${keys.length} · ` : ''}↑↓/jk move · g/G top/end · q quit
      </Text>
    </Box>
  );
}
