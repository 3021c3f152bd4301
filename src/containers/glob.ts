/** `*` matches any run of characters; everything else literally (image and registry patterns). */
export function globMatch (pattern: string, value: string): boolean {
  const regex = new RegExp('^' + pattern.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')
  return regex.test(value)
}
