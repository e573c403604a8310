/* meshlens: browser-side helpers for Dash clientside callbacks.
 *
 * Kept to what must happen in the browser: writing the view state into the URL without
 * reloading the page, the colour theme, and positions users drag (which never need the server).
 */
(function () {
  "use strict";

  const MAX_REMEMBERED_LAYOUTS = 20;

  function cyOf(graphId) {
    const container = document.getElementById(graphId);
    return container && container._cyreg ? container._cyreg.cy : null;
  }

  function positionsIn(elements) {
    const positions = {};
    (elements || []).forEach(function (element) {
      if (element.position && element.data) {
        // A copy: Cytoscape moves the objects it was given when nodes move.
        positions[element.data.id] = {x: element.position.x, y: element.position.y};
      }
    });
    return positions;
  }

  function moveNodes(cy, positions) {
    cy.batch(function () {
      Object.keys(positions).forEach(function (id) {
        const node = cy.getElementById(id);
        if (node.nonempty() && node.isChildless()) {
          node.position({x: positions[id].x, y: positions[id].y});
        }
      });
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    meshlens: {
      /* Put `query` into the URL, replacing the keys this page owns and keeping the rest
       * (the shell's time window, for one). pushState, so Back returns to the previous view. */
      writeQuery: function (query, owned) {
        const params = new URLSearchParams(window.location.search);
        (owned || []).forEach(function (key) { params.delete(key); });
        Object.keys(query || {}).forEach(function (key) { params.set(key, query[key]); });
        const search = params.toString();
        const target = window.location.pathname + (search ? "?" + search : "");
        if (target !== window.location.pathname + window.location.search) {
          window.history.pushState(null, "", target + window.location.hash);
        }
        return null;
      },

      /* The shell's time window. A shared link's own window (and end) is left alone when the
       * picker merely shows what the URL says. */
      setWindow: function (value) {
        const current = new URLSearchParams(window.location.search).get("window") || "";
        if (current === (value || "")) { return window.dash_clientside.no_update; }
        const query = value ? {window: value} : {};
        return window.dash_clientside.meshlens.writeQuery(query, ["window", "end"]);
      },

      setTheme: function (dark) {
        const theme = dark ? "dark" : "light";
        document.documentElement.setAttribute("data-bs-theme", theme);
        return theme;
      },

      /* After new elements are drawn, or when the session's stored positions arrive: put back
       * nodes this session dragged in this layout, and remember drags from now on. Positions live
       * in a session-scoped dcc.Store, so they survive a refresh but not the tab. */
      trackPositions: function (elements, stored, rendered, graphId) {
        window.meshlensPositions = stored || window.meshlensPositions || {};
        const layoutKey = rendered && rendered.layout_key;
        setTimeout(function () {
          const cy = cyOf(graphId);
          if (!cy || !layoutKey) { return; }
          if (cy.scratch("_meshlensLayoutKey") !== layoutKey) {
            // Fresh from the server: these are the positions "Reset positions" returns to.
            // (dash-cytoscape writes drags back into `elements`, so they cannot be read later.)
            cy.scratch("_meshlensServed", positionsIn(elements));
          }
          cy.scratch("_meshlensLayoutKey", layoutKey);
          const mine = window.meshlensPositions[layoutKey];
          if (mine) { moveNodes(cy, mine); }
          if (!cy.scratch("_meshlensTracking")) {
            cy.scratch("_meshlensTracking", true);
            cy.on("dragfree", "node", function (event) {
              const key = cy.scratch("_meshlensLayoutKey");
              const all = Object.assign({}, window.meshlensPositions || {});
              const moved = Object.assign({}, all[key] || {});
              event.cy.$("node:selected").union(event.target).forEach(function (node) {
                if (node.isChildless()) { moved[node.id()] = node.position(); }
              });
              delete all[key];
              all[key] = moved;
              const keys = Object.keys(all);
              keys.slice(0, Math.max(0, keys.length - MAX_REMEMBERED_LAYOUTS))
                .forEach(function (old) { delete all[old]; });
              window.meshlensPositions = all;
              window.dash_clientside.set_props("topology-positions", {data: all});
            });
          }
        }, 0);
        return window.dash_clientside.no_update;
      },

      resetPositions: function (clicks, rendered, graphId) {
        const layoutKey = rendered && rendered.layout_key;
        const cy = cyOf(graphId);
        if (!clicks || !cy || !layoutKey) { return window.dash_clientside.no_update; }
        moveNodes(cy, cy.scratch("_meshlensServed") || {});
        cy.fit(undefined, 30);
        const all = Object.assign({}, window.meshlensPositions || {});
        delete all[layoutKey];
        window.meshlensPositions = all;
        return all;
      }
    }
  });
})();
