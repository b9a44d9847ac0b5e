import { countdown, numberOrText } from './format';

describe('form values and countdowns', () => {
  it('sends whole numbers as numbers and anything else as typed, for the API to judge', () => {
    expect(numberOrText(' 20 ')).toBe(20);
    expect(numberOrText('-1')).toBe(-1);
    expect(numberOrText('1.5')).toBe('1.5');
    expect(numberOrText('5e')).toBe('5e');
    expect(numberOrText('')).toBe('');
  });

  it('counts down in whole seconds, rounding up, with days when far', () => {
    expect(countdown(4_001)).toBe('00:05');
    expect(countdown(0)).toBe('00:00');
    expect(countdown(-5)).toBe('00:00');
    expect(countdown(3_600_000)).toBe('01:00:00');
    expect(countdown(90_061_000)).toBe('1d 01:01:01');
  });
});
