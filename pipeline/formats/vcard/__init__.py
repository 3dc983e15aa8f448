"""formats/vcard"""
