def home(request):
    pass


def profile_detail(request, slug):
    pass
