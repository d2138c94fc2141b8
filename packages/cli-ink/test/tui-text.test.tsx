import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Text } from '../src/tui/text.js';

describe('the TUI Text', () => {
  it('escapes every string in it: direct, in arrays, in fragments and in nested Texts', () => {
    const uid = 'Eve \u001b]0;PWNED\u0007 \u202Eevil';
    const app = render(
      <Text>
        {uid} {[' a\r\nb', 2]} <>{'\u009b7m'}</> <Text bold>{'\u001b[8mhidden'}</Text>
      </Text>,
    );
    const frame = app.lastFrame() ?? '';
    // eslint-disable-next-line no-control-regex -- Ink's own bold styling is the only escape left
    expect(frame.replace(/\u001b\[[0-9;]*m/g, '')).toBe('Eve \\x1b]0;PWNED\\x07 \\u{202E}evil  a\\x0d\\x0ab2 \\u{009B}7m \\x1b[8mhidden');
    app.unmount();
  });

  it('leaves printable text as it is', () => {
    const app = render(<Text>Zoë 李 \ back\slash \xfc</Text>);
    expect(app.lastFrame()).toBe('Zoë 李 \\ back\\slash \\xfc');
    app.unmount();
  });
});
