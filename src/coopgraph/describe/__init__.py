"""Descriptions: of one resource, of the dataset (DCAT-AP), VoID, the SPARQL service, the ontology."""
