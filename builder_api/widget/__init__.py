"""The on-site widget: `/widget.js` and the visitor API under `/widget/...`."""
