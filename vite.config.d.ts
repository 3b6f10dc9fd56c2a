/**
 * One config for the demo site (default build), the widget library (`--mode widget`) and Vitest.
 * The demo and widget blocks are filled in by the widget and demo work.
 */
declare const _default: import("vite").UserConfig;
export default _default;
