"""Exports to other systems' formats, one module per system (HotCRP's is in
`transfer.exporters`): each reads the workshop through `common` and writes the other
system's own shapes, so that system's importer, and ours, take them back."""
