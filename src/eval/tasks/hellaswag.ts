/**
 * HellaSwag's text clean-up, as lm-evaluation-harness's lm_eval/tasks/hellaswag/utils.py `preprocess`: the WikiHow
 * part of the dataset carries bracketed artifacts (" [title]", "[header]", "[step]"). Python's `str.replace`
 * replaces every occurrence in one left-to-right pass, as `replaceAll` does; `re.sub("\\[.*?\\]", "")` is the same
 * lazy, newline-excluding pattern here.
 */
export function preprocessHellaswag(raw: string): string {
  return raw
    .trim()
    .replaceAll(' [title]', '. ')
    .replace(/\[.*?\]/g, '')
    .replaceAll('  ', ' ');
}
