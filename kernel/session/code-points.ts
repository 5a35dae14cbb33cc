// Jupyter measures cursor positions in Unicode code points; JavaScript strings index UTF-16
// code units. Convert at the protocol boundary so astral characters (emoji) do not shift them.
export function codePointToIndex(text: string, cursor: number): number {
  let index = 0;
  for (let cp = 0; cp < cursor && index < text.length; cp++) {
    const c = text.codePointAt(index)!;
    index += c > 0xffff ? 2 : 1;
  }
  return index;
}

export function indexToCodePoint(text: string, index: number): number {
  let cp = 0;
  for (let i = 0; i < index && i < text.length; cp++) {
    const c = text.codePointAt(i)!;
    i += c > 0xffff ? 2 : 1;
  }
  return cp;
}
