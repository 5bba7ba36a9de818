// Markers and overlays on a bpmn-js canvas, tracked so they can be cleared before the next round.

export class DiagramMarkers {
  constructor(viewer) {
    this.canvas = viewer.get('canvas');
    this.overlays = viewer.get('overlays');
    this.registry = viewer.get('elementRegistry');
    /** @type {Array<[string, string]>} */
    this.marked = [];
    this.overlayType = 'rf-overlay';
  }

  /** The shape or connection for an element id, or the participant drawing a process id. */
  find(id) {
    const element = this.registry.get(id);
    if (element) return element;
    return this.registry.find((e) => e.businessObject?.processRef?.id === id) ?? null;
  }

  add(id, marker) {
    const element = this.find(id);
    if (!element || element === this.canvas.getRootElement()) return null;
    this.canvas.addMarker(element.id, marker);
    this.marked.push([element.id, marker]);
    return element;
  }

  overlay(id, node, position = { top: -12, right: 14 }) {
    const element = this.find(id);
    if (!element || element === this.canvas.getRootElement()) return;
    this.overlays.add(element.id, this.overlayType, { position, html: node });
  }

  clear() {
    for (const [id, marker] of this.marked) {
      if (this.registry.get(id)) this.canvas.removeMarker(id, marker);
    }
    this.marked = [];
    this.overlays.remove({ type: this.overlayType });
  }
}

/**
 * Show a diagram at a size its (Chinese) labels can be read at: fit it when that is large enough, else zoom
 * to `minScale` around the focus element (or the diagram's top left). `leftMargin` keeps a strip free for
 * the modeler's palette.
 */
export function showReadable(canvas, { focus = null, leftMargin = 0, minScale = 0.8 } = {}) {
  canvas.zoom('fit-viewport', 'auto');
  const fitted = canvas.viewbox();
  const { outer, inner } = fitted;
  if (fitted.scale >= minScale) {
    if (leftMargin > 0) {
      const extra = leftMargin / fitted.scale;
      canvas.viewbox({
        x: fitted.x - extra,
        y: fitted.y,
        width: fitted.width + extra,
        height: fitted.height,
      });
    }
    return;
  }
  const width = outer.width / minScale;
  const height = outer.height / minScale;
  const margin = (leftMargin + 20) / minScale;
  let x = inner.x - margin;
  let y = inner.y - 20 / minScale;
  if (inner.height < height) y = inner.y + inner.height / 2 - height / 2;
  if (focus && focus.x !== undefined) {
    x = Math.max(x, focus.x + focus.width / 2 - width / 2);
    if (inner.height >= height) y = focus.y + focus.height / 2 - height / 2;
  }
  canvas.viewbox({ x, y, width, height });
}
