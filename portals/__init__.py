"""The three audiences' pages: coordinators' workbench, physicians' portal, patients'
tracker, and the layout they share. An entry point above the domain: it calls the
services, selectors and access functions of `orders`, `documents` and `notifications`;
nothing below imports it."""
