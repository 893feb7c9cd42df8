"""The foundation: settings and configuration data (`config`), warehouse connections (`db`),
personal data (`pii`), text keys (`text`), SQL files (`sqlfiles`), the round and framework
configuration's check (`rounds`) and migrations (`migrate`).

May import: nothing of dgsa above it (no stage, no operations, no tools)."""
