import React from 'react';
import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import type { KeyRecord } from '@keyport/core';
import { KeyList } from '../src/tui/KeyList.js';

function record(i: number, extra: Partial<KeyRecord['summary']> = {}): KeyRecord {
  const fpr = i.toString(16).toUpperCase().padStart(40, '0');
  return {
    summary: {
      fingerprint: fpr,
      keyId: fpr.slice(-16),
      version: 4,
      algorithm: 'ed25519',
      bits: 255,
      curve: 'ed25519',
      created: '2024-01-01T00:00:00.000Z',
      expires: null,
      revoked: false,
      revocation: null,
      usage: ['certify', 'sign'],
      userIds: [{ userId: `User ${i} <u${i}@example.org>`, email: `u${i}@example.org`, primary: true, revoked: false, revocation: null, expires: null, expired: false }],
      subkeys: [],
      ...extra,
    },
    hasSecret: i === 0,
    secretPrimary: i === 0 ? 'present' : 'absent',
    hash: 'x',
    meta: {},
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('first TUI screen', () => {
  it('lists keys with the home folder and count, and marks revoked keys', () => {
    const keys = [record(0), record(1, { revoked: true })];
    const { lastFrame } = render(<KeyList keys={keys} home="/tmp/h" height={10} onQuit={() => {}} />);
    const frame = lastFrame()!;
    expect(frame).toContain('/tmp/h · 2 keys');
    expect(frame).toContain('sec 0000000000000000');
    expect(frame).toMatch(/User 1 <u1@example\.org> \[revoked\]/);
  });

  it('renders only the rows in view and scrolls with j / G / g', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => record(i));
    const { lastFrame, stdin } = render(<KeyList keys={keys} home="h" height={8} onQuit={() => {}} />);
    expect(lastFrame()!.split('\n').filter((l) => l.includes('@example.org'))).toHaveLength(4);
    stdin.write('j');
    await tick();
    expect(lastFrame()).toContain('2/1000');
    stdin.write('G');
    await tick();
    expect(lastFrame()).toContain('1000/1000');
    expect(lastFrame()).toContain('User 999');
    expect(lastFrame()).not.toContain('User 0 ');
    stdin.write('g');
    await tick();
    expect(lastFrame()).toContain('1/1000');
  });

  it('quits on q', async () => {
    const onQuit = vi.fn();
    const { stdin } = render(<KeyList keys={[record(1)]} home="h" height={8} onQuit={onQuit} />);
    stdin.write('q');
    await tick();
    expect(onQuit).toHaveBeenCalledOnce();
  });

  it('says how to import when the keyring is empty', () => {
    const { lastFrame } = render(<KeyList keys={[]} home="h" height={8} onQuit={() => {}} />);
    expect(lastFrame()).toContain('keyport import --file FILE');
  });
});
