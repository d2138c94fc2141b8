import React, { createContext, useContext } from 'react';
import { Text as InkText, type TextProps } from 'ink';
import { escapeForTerminal } from '@keyport/core';

/**
 * True when colours and text attributes are off: `NO_COLOR` set to anything non-empty
 * (no-color.org) or `TERM=dumb`. Then nothing in the UI is drawn with a colour or attribute;
 * marks (›, [x], ✗, !) carry what colour would.
 */
export function colorsOff(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.NO_COLOR) || env.TERM === 'dumb';
}

/** Whether the UI is drawn without colours and attributes (see {@link colorsOff}). */
export const Plain = createContext(false);

/** Whether the UI is drawn without colours and attributes. */
export function usePlain(): boolean {
  return useContext(Plain);
}

function shown(child: React.ReactNode): React.ReactNode {
  if (typeof child === 'string') return escapeForTerminal(child);
  // Strings inside a fragment are children of this Text too.
  if (React.isValidElement<{ children?: React.ReactNode }>(child) && child.type === React.Fragment) {
    return React.Children.map(child.props.children, shown);
  }
  return child;
}

/**
 * The only Text of the terminal UI: Ink's Text with every string in it escaped for the terminal
 * (escapeForTerminal), so a user ID, a search result or a server's message can neither drive the
 * terminal (title, clipboard, colours) nor break a row. Nested Texts are this one too: the lint
 * rule in eslint.config.js keeps Ink's own Text out of src/. Under {@link Plain} it drops every
 * colour and attribute, so no element can forget to.
 */
export function Text({ children, ...props }: TextProps) {
  const plain = useContext(Plain);
  if (plain) {
    const { wrap } = props;
    return <InkText wrap={wrap}>{React.Children.map(children, shown)}</InkText>;
  }
  return <InkText {...props}>{React.Children.map(children, shown)}</InkText>;
}
