import React from 'react';
import { Text as InkText, type TextProps } from 'ink';
import { escapeForTerminal } from '@keyport/core';

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
 * rule in eslint.config.js keeps Ink's own Text out of src/.
 */
export function Text({ children, ...props }: TextProps) {
  return <InkText {...props}>{React.Children.map(children, shown)}</InkText>;
}
