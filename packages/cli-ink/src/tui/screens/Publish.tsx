import React, { useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from '../text.js';
import type { AddressStatus, PublishRecord, PublishReport } from '@keyport/core';
import { Busy, Confirm, moveCursor, toastFromError, toggled, useKeys } from '../components.js';
import type { ScreenProps } from '../App.js';

type Plan = Awaited<ReturnType<ScreenProps['kp']['publishing']['plan']>>;
type Step =
  | { name: 'planning' }
  | { name: 'confirm'; plan: Plan }
  | { name: 'busy'; what: string }
  | { name: 'choose'; report: PublishReport }
  | { name: 'done'; report: PublishReport };

function nextStep(email: string, state: AddressStatus): string {
  switch (state) {
    case 'published':
      return 'published: anyone can find the key by this address';
    case 'pending':
      return `open the link mailed to ${email}`;
    case 'revoked':
      return 'revoked on the server';
    default:
      return 'not published (no verification requested)';
  }
}

/** Publish flow: warnings, upload, choose addresses to verify, then statuses and next steps. */
export function PublishScreen({
  store,
  keys,
  height,
  back,
  notify,
  fingerprint,
  verifyOnly,
}: ScreenProps & { fingerprint: string; verifyOnly: boolean }) {
  const [step, setStep] = useState<Step>({ name: 'planning' });
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState(0);
  const record = keys.find((k) => k.summary.fingerprint === fingerprint);

  const toChoose = (report: PublishReport) => {
    const open = Object.entries(report.addresses)
      .filter(([, s]) => s === 'unpublished')
      .map(([a]) => a);
    setChosen(new Set(open));
    setCursor(0);
    setStep({ name: 'choose', report });
  };

  useEffect(() => {
    // The key's metadata read now: a store whose listing has none (GnuPG) gives it on request.
    Promise.all([store.publishing.plan(fingerprint), record ? store.withMeta(record) : undefined]).then(
      ([plan, withMeta]) => {
        if (verifyOnly) {
          const stored = withMeta?.meta.publish as PublishRecord | undefined;
          if (!stored) return (notify({ kind: 'warning', text: 'publish the key first' }), back());
          return toChoose({
            fingerprint,
            server: stored.server,
            protocol: stored.protocol,
            addresses: stored.addresses,
            verificationRequested: [],
            firstPublication: false,
          });
        }
        setStep({ name: 'confirm', plan });
      },
      (e: unknown) => {
        notify(toastFromError(e));
        back();
      },
    );
  }, [store, fingerprint]);

  // Esc stops the wait for the server (the request may already have reached it).
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);
  const stopped = (signal: AbortSignal, what: string) => {
    if (!signal.aborted) return false;
    notify({ kind: 'warning', text: `stopped ${what}; the server may have received the request already` });
    return true;
  };

  const upload = async (plan: Plan) => {
    const controller = new AbortController();
    running.current = controller;
    setStep({
      name: 'busy',
      what: `uploading the public key to ${plan.server} over ${plan.protocol.toUpperCase()}…`,
    });
    try {
      const report = await store.publishing.publish(fingerprint, { verify: 'none', signal: controller.signal });
      if (stopped(controller.signal, 'uploading')) return back();
      if (!plan.verifying || Object.keys(report.addresses).length === 0) {
        notify({ kind: 'info', text: `published ${fingerprint} to ${report.server}` });
        return setStep({ name: 'done', report });
      }
      toChoose(report);
    } catch (e) {
      if (!stopped(controller.signal, 'uploading')) notify(toastFromError(e));
      back();
    }
  };

  const requestVerification = async (report: PublishReport) => {
    const emails = [...chosen];
    if (emails.length === 0) return setStep({ name: 'done', report });
    const controller = new AbortController();
    running.current = controller;
    setStep({
      name: 'busy',
      what: `asking ${report.server} to mail ${emails.length} verification link(s)…`,
    });
    try {
      const after = await store.publishing.verify(fingerprint, emails, { signal: controller.signal });
      if (stopped(controller.signal, 'asking for verification mails')) return setStep({ name: 'done', report });
      notify({
        kind: 'info',
        text: `verification requested for ${after.verificationRequested.join(', ') || 'no address'}`,
      });
      setStep({ name: 'done', report: after });
    } catch (e) {
      if (!stopped(controller.signal, 'asking for verification mails')) notify(toastFromError(e));
      setStep({ name: 'done', report });
    }
  };

  useKeys(
    (input, key) => {
      if (step.name === 'choose') {
        const addresses = Object.keys(step.report.addresses);
        if (key.escape) return back();
        if (moveCursor(input, key, addresses.length, Math.max(1, height - 4), setCursor)) return;
        const email = addresses[cursor];
        if (input === ' ' && email && step.report.addresses[email] !== 'published') {
          setChosen((c) => toggled(c, email));
        } else if (key.return) void requestVerification(step.report);
      } else if (step.name === 'done' || step.name === 'planning') {
        if (key.escape || key.return) back();
      }
    },
    { isActive: step.name !== 'confirm' && step.name !== 'busy' },
  );
  useKeys(
    (_input, key) => {
      if (key.escape) running.current?.abort();
    },
    { isActive: step.name === 'busy' },
  );

  switch (step.name) {
    case 'planning':
      return <Text>Checking {fingerprint}…</Text>;
    case 'busy':
      return (
        <Box flexDirection="column">
          <Text wrap="truncate-end">{step.what}</Text>
          <Busy label="waiting for the server" />
        </Box>
      );
    case 'confirm':
      return (
        <Confirm
          message={`Publish ${fingerprint} to ${step.plan.server} over ${step.plan.protocol.toUpperCase()}?`}
          details={step.plan.warnings}
          onYes={() => void upload(step.plan)}
          onNo={back}
        />
      );
    case 'choose':
      return (
        <Box flexDirection="column">
          <Text bold>
            Uploaded to {step.report.server}. Request verification for (Space toggles, Enter sends):
          </Text>
          {Object.entries(step.report.addresses).map(([email, state], i) => (
            <Text key={email} inverse={i === cursor}>
              {i === cursor ? '›' : ' '}{' '}
              {state === 'published' ? '[=]' : chosen.has(email) ? '[x]' : '[ ]'} {email}{' '}
              <Text dimColor>({state})</Text>
            </Text>
          ))}
        </Box>
      );
    case 'done':
      return (
        <Box flexDirection="column">
          <Text bold>
            {fingerprint} on {step.report.server} ({step.report.protocol.toUpperCase()}) · Enter or
            Esc to go back
          </Text>
          {Object.keys(step.report.addresses).length === 0 ? (
            <Text>published; HKP servers do not verify addresses</Text>
          ) : (
            Object.entries(step.report.addresses).map(([email, state]) => (
              <Text key={email}>
                {state.padEnd(11)} {email}: {nextStep(email, state)}
              </Text>
            ))
          )}
        </Box>
      );
  }
}
