// An instance's diagram as Camunda Operate draws it: done in green, waiting in blue with a token count,
// incidents in red. Shared by the release record and the task page.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { api, describeError, el } from './api.js';
import { DiagramMarkers, showReadable } from './diagram-markers.js';

export class InstanceDiagram {
  /** @param {string | HTMLElement} container */
  constructor(container) {
    this.viewer = new NavigatedViewer({
      container,
      moddleExtensions: { zeebe: zeebeModdle },
      textRenderer: { defaultStyle: { fontFamily: '"Noto Sans CJK SC", "Noto Sans", Arial, sans-serif' } },
    });
    this.markers = new DiagramMarkers(this.viewer);
    this.shownDefinition = null;
  }

  /**
   * Draw the instance view (GET /api/process-instances/:id) on its definition's diagram; the diagram is
   * loaded again only when the definition changed. Resolves to an error message, or null.
   * @param {{ processKey: string, version: number, activeActivities: any[], completedActivities: string[],
   *   takenFlows: string[], incidents: any[] }} view
   * @param {{ focus?: string }} [options] the element to show when the diagram does not fit
   */
  async show(view, options = {}) {
    const definition = `${view.processKey}@${view.version}`;
    if (definition !== this.shownDefinition) {
      const xml = await api(
        `/api/process-definitions/${encodeURIComponent(view.processKey)}/versions/${view.version}/xml`,
      );
      if (!xml.ok) return describeError(xml);
      await this.viewer.importXML(xml.body);
      const registry = this.viewer.get('elementRegistry');
      const focus =
        (options.focus && registry.get(options.focus)) ||
        view.activeActivities.map((a) => registry.get(a.elementId)).find(Boolean) ||
        null;
      showReadable(this.viewer.get('canvas'), { focus });
      this.shownDefinition = definition;
    }
    this.mark(view);
    return null;
  }

  mark(view) {
    const markers = this.markers;
    markers.clear();
    for (const id of view.completedActivities) markers.add(id, 'rf-completed');
    for (const id of view.takenFlows) markers.add(id, 'rf-taken');
    const active = new Map();
    for (const activity of view.activeActivities) {
      active.set(activity.elementId, (active.get(activity.elementId) ?? 0) + 1);
    }
    const incidents = new Map();
    for (const incident of view.incidents.filter((i) => i.status === 'open')) {
      incidents.set(incident.elementId, incident);
    }
    for (const [id, count] of active) {
      if (incidents.has(id)) continue;
      markers.add(id, 'rf-active');
      markers.overlay(id, el('span', { class: 'rf-token', title: 'active' }, String(count)), {
        bottom: 10,
        left: -8,
      });
    }
    for (const [id, incident] of incidents) {
      markers.add(id, 'rf-incident');
      markers.overlay(
        id,
        el('span', { class: 'rf-incident-badge', title: incident.error ?? 'incident' }, '⚠'),
        { bottom: 10, left: -8 },
      );
    }
  }
}
