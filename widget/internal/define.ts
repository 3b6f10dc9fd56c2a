/**
 * Registers an element unless that tag is taken: silently when it is the same class, with a warning when another
 * copy of the widget got there first. So loading the script twice, or two versions, never throws.
 */
export function define(tag: string, element: CustomElementConstructor): void {
  const existing = customElements.get(tag);
  if (!existing) customElements.define(tag, element);
  else if (existing !== element)
    console.warn(`<${tag}> is already defined by another copy of the Polar widget; using that one.`);
}
