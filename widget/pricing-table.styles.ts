import { css } from 'lit';
import { baseStyles } from './internal/styles.js';

/**
 * The switch has a fixed height, so the skeleton reserves its row (`.sw`) before it is known whether a switch
 * shows; without one, the first row of cards (`.tall`) takes that space instead: no layout shift either way.
 * Its calc() is written without "+": the build's template minifier drops the spaces around "+", which calc()
 * needs.
 */
export const pricingTableStyles = [
  baseStyles,
  css`
    .switch,
    .sw {
      box-sizing: border-box;
      height: 2.5em;
      margin: 0 auto var(--_space);
    }
    .switch {
      display: flex;
      align-items: center;
      width: fit-content;
      padding: 0.25rem;
      border: 1px solid var(--_border);
      border-radius: 999px;
      background: var(--_surface);
      color: var(--_text);
    }
    .switch label {
      padding: 0.375rem 1rem;
      border-radius: 999px;
      cursor: pointer;
    }
    .switch input:checked + label {
      background: var(--_accent);
      color: var(--_on-accent);
    }
    .switch input:focus-visible + label {
      outline: 2px solid var(--_accent);
      outline-offset: 2px;
    }
    .saving {
      font-size: 0.8em;
      font-weight: 600;
    }
    .plans {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(min(100%, 15rem), 1fr));
      gap: var(--_space);
      margin: 0;
      padding: 0;
      list-style: none;
    }
    .tall {
      grid-template-rows: minmax(
        calc(var(--polar-plan-min-height, 22rem) - -2.5em - -1 * var(--_space)),
        auto
      );
    }
    .plan {
      position: relative;
      display: flex;
      flex-direction: column;
      gap: calc(var(--_space) * 0.5);
      min-height: var(--polar-plan-min-height, 22rem);
      box-sizing: border-box;
      padding: calc(var(--_space) * 1.5);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      color: var(--_text);
      overflow-wrap: anywhere;
    }
    [part~='plan-highlighted'] {
      border: 2px solid var(--_accent);
    }
    .plan > * {
      margin: 0;
    }
    h2 {
      font-size: 1.25em;
    }
    .badge {
      align-self: flex-start;
      padding: 0.125rem 0.625rem;
      border-radius: 999px;
      background: var(--_accent);
      color: var(--_on-accent);
      font-size: 0.8em;
      font-weight: 600;
    }
    .description,
    .period {
      color: var(--_muted);
    }
    .amount {
      font-size: 2em;
      font-weight: 700;
    }
    .features {
      flex: 1;
      padding-left: 1.25em;
    }
    .cta {
      margin-top: auto;
      width: 100%;
    }
    .skeleton {
      background: var(--_skeleton);
      border-color: transparent;
    }
    @media (prefers-reduced-motion: no-preference) {
      .skeleton {
        animation: pulse 1.4s ease-in-out infinite;
      }
      @keyframes pulse {
        50% {
          opacity: 0.55;
        }
      }
    }
    .notice {
      margin: 0 0 var(--_space);
      padding: var(--_space);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      color: var(--_text);
      text-align: center;
    }
    [role='alert'] p {
      margin: 0 0 var(--_space);
    }
  `,
];
