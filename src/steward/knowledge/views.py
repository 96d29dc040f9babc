def incident_panel_context(request, ticket):  # replaced below
    return None
