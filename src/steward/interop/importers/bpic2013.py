from steward.interop.importers.base import Importer


class Bpic2013Importer(Importer):
    name = "bpic2013"
