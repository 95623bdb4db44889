/**
 * README.zh-CN.md is a complete translation kept in step with README.md: the same sections at
 * the same levels, and the same code blocks (commands, configs, JSON) character for character.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blocks, headingLevels } from '../helpers/markdown.js';

const english = readFileSync('README.md', 'utf8');
const chinese = readFileSync('README.zh-CN.md', 'utf8');

describe('README.zh-CN.md', () => {
  it('is linked from the top of README.md, and links back', () => {
    expect(english.split('\n').slice(0, 5).join('\n')).toContain('(README.zh-CN.md)');
    expect(chinese.split('\n').slice(0, 5).join('\n')).toContain('(README.md)');
  });

  it('has the same section structure: heading levels, in order', () => {
    expect(headingLevels(chinese)).toEqual(headingLevels(english));
    expect(headingLevels(english).length).toBeGreaterThan(10);
  });

  it('has the same command blocks, and every other code block, character for character', () => {
    expect(blocks(chinese, 'sh')).toEqual(blocks(english, 'sh'));
    expect(blocks(chinese, '\\w*')).toEqual(blocks(english, '\\w*'));
  });

  it('is written in Chinese, section by section', () => {
    const sections = chinese.split('\n## ').slice(1);
    for (const section of sections) {
      const prose = section.replace(/```[\s\S]*?```/g, '');
      expect(prose, section.split('\n')[0]).toMatch(/[\u4e00-\u9fff]{3}/);
    }
  });
});
