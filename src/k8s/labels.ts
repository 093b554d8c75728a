import type { LabelSelector, StringMap } from "./objects.js";

/** True when every key of a Service-style `selector` map has that value in `labels`. */
export function matchesLabels(labels: StringMap | undefined, selector: StringMap): boolean {
  for (const key of Object.keys(selector)) {
    if (labels?.[key] !== selector[key]) return false;
  }
  return true;
}

/**
 * True when `labels` satisfy a {@link LabelSelector}: every `matchLabels` entry and every
 * `matchExpressions` requirement (In, NotIn, Exists, DoesNotExist), as the API server evaluates them.
 * An empty selector matches everything.
 */
export function matchesSelector(labels: StringMap | undefined, selector: LabelSelector): boolean {
  if (selector.matchLabels && !matchesLabels(labels, selector.matchLabels)) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = has ? labels![req.key]! : undefined;
    switch (req.operator) {
      case "In":
        if (!has || !(req.values ?? []).includes(value!)) return false;
        break;
      case "NotIn":
        if (has && (req.values ?? []).includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}
