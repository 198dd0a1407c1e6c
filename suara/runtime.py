"""Opens the stores named by the settings and owns their lifetimes: what the web app and the CLI share."""

from __future__ import annotations

from dataclasses import dataclass

from suara.collect.ingest import Ingestor
from suara.collect.writer import Writer
from suara.settings import Settings
from suara.store.app import AppStore
from suara.store.warehouse import Warehouse


@dataclass
class Runtime:
    settings: Settings
    app: AppStore
    warehouse: Warehouse
    writer: Writer
    ingestor: Ingestor

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        """Open both stores (migrating the app store) and start the single warehouse writer."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        app = AppStore(settings.resolved_app_url())
        app.migrate()
        warehouse = Warehouse.open_duckdb(settings.resolved_warehouse_path(), settings.warehouse_memory_limit)
        writer = Writer(warehouse, max_rows=settings.writer_max_rows).start()
        return cls(settings, app, warehouse, writer, Ingestor(writer, settings.max_batch_items))

    def close(self) -> None:
        self.writer.stop()
        self.warehouse.close()
        self.app.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
