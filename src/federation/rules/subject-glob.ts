/**
 * A trust rule's `subject`: exact, or a glob whose `*` stands for any run (empty too) of
 * characters other than `:`. Structured subjects separate their fields with `:` (GitHub's
 * `repo:acme/api:ref:refs/heads/main`, GitLab's `project_path:…:ref_type:…`, Kubernetes'
 * `system:serviceaccount:ns:name`), so a `*` stays inside the field it was written in: a branch
 * name a pusher chooses can never reach into the next field. Everything else is literal.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (!pattern.includes('*')) return pattern === subject;
  return globRegExp(pattern).test(subject);
}

const compiled = new Map<string, RegExp>();

function globRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('[^:]*');
    re = new RegExp(`^${body}$`, 'su');
    // Bounded: patterns come from stored rules, but keep the cache from growing without end.
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}
